"""Model files: skops with an explicit trusted list; pickles are refused without being parsed."""

from __future__ import annotations

import hashlib
import pickle
import zipfile
from pathlib import Path
from typing import Any

import pytest

from mlops_ci.digest import sha256_file
from mlops_ci.errors import UserError
from mlops_ci.modelio import load_model, save_model, untrusted_types


def _fitted_logistic() -> Any:
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    x = np.array([[0.0], [1.0], [2.0], [3.0]])
    return LogisticRegression().fit(x, [0, 0, 1, 1]), x


class Doubler:
    """A user's own transformer: not a type skops trusts by default."""

    def fit(self, x: Any, y: Any = None) -> Doubler:
        return self

    def transform(self, x: Any) -> Any:
        return x * 2


class _TouchOnUnpickle:
    """Unpickling this creates ``marker``: proof that a loader ran pickle."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, tuple[str, str]]:
        return (open, (str(self.marker), "w"))


def test_a_saved_model_loads_and_predicts_the_same(tmp_path: Path) -> None:
    model, x = _fitted_logistic()
    path = tmp_path / "model.skops"
    save_model(model, path)
    loaded: Any = load_model(path, ())
    assert list(loaded.predict(x)) == list(model.predict(x))
    assert not list(tmp_path.glob(".*partial"))


def test_sha256_file_is_the_files_sha256(tmp_path: Path) -> None:
    path = tmp_path / "blob"
    path.write_bytes(b"x" * 3_000_000)
    assert sha256_file(path) == hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_custom_class_is_refused_naming_it_and_the_setting(tmp_path: Path) -> None:
    path = tmp_path / "model.skops"
    save_model(Doubler(), path)
    with pytest.raises(UserError) as caught:
        load_model(path, ())
    assert "tests.test_modelio.Doubler" in caught.value.message
    assert str(path) in caught.value.message
    assert "evaluate.trusted_types" in (caught.value.hint or "")


def test_a_custom_class_loads_when_listed(tmp_path: Path) -> None:
    path = tmp_path / "model.skops"
    save_model(Doubler(), path)
    assert untrusted_types(path) == ("tests.test_modelio.Doubler",)
    assert isinstance(load_model(path, ["tests.test_modelio.Doubler"]), Doubler)


def test_a_model_whose_library_is_not_installed_names_the_module_not_damage(
    tmp_path: Path,
) -> None:
    """An XGBoost model loaded where xgboost is missing (a serving image without it): the
    message names the module to install, and does not call the file damaged."""
    saved = tmp_path / "saved.skops"
    save_model(Doubler(), saved)
    path = tmp_path / "model.skops"
    with zipfile.ZipFile(saved) as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "schema.json":
                data = data.replace(b'"tests.test_modelio"', b'"userlib_not_installed"')
            target.writestr(item, data)

    with pytest.raises(UserError) as caught:
        load_model(path, ["userlib_not_installed.Doubler"])

    assert caught.value.message == (
        f"{path}: the model needs the Python module 'userlib_not_installed', which is not "
        "installed here"
    )
    assert "damaged" not in (caught.value.hint or "")
    assert "install the library that provides userlib_not_installed" in (caught.value.hint or "")


def test_a_model_calling_eval_is_refused(tmp_path: Path) -> None:
    from sklearn.preprocessing import FunctionTransformer

    path = tmp_path / "model.skops"
    save_model(FunctionTransformer(func=eval), path)
    with pytest.raises(UserError) as caught:
        load_model(path, ())
    assert "builtins.eval" in caught.value.message


def test_code_running_modules_are_refused_even_when_listed(tmp_path: Path) -> None:
    from sklearn.preprocessing import FunctionTransformer

    path = tmp_path / "model.skops"
    save_model(FunctionTransformer(func=eval), path)
    with pytest.raises(UserError) as caught:
        load_model(path, ["builtins.eval"])
    assert "never trusts" in caught.value.message


def test_a_pickle_named_skops_is_refused_without_unpickling(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    path = tmp_path / "model.skops"
    path.write_bytes(pickle.dumps(_TouchOnUnpickle(marker)))
    pickle.loads(path.read_bytes())  # noqa: S301 -- proves the file is live: it does create the marker
    assert marker.exists()
    marker.unlink()

    with pytest.raises(UserError) as caught:
        load_model(path, ())
    assert "pickle" in caught.value.message
    assert not marker.exists()


def test_a_zip_that_is_not_a_skops_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "model.skops"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("model.pkl", b"...")
    with pytest.raises(UserError, match=r"no schema\.json"):
        load_model(path, ())


def test_a_damaged_skops_file_is_a_user_error(tmp_path: Path) -> None:
    path = tmp_path / "model.skops"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("schema.json", "{not json")
    with pytest.raises(UserError, match="cannot be read"):
        load_model(path, ())


@pytest.mark.parametrize(
    ("content", "expected"),
    [(b"", "it is empty"), (b"hello world", "68 65 6c 6c")],
)
def test_other_files_are_described(tmp_path: Path, content: bytes, expected: str) -> None:
    path = tmp_path / "model.skops"
    path.write_bytes(content)
    with pytest.raises(UserError, match=expected):
        load_model(path, ())


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="no such model file"):
        load_model(tmp_path / "absent.skops", ())


# -- reproducible files ------------------------------------------------------------------


def _fitted_forest() -> Any:
    import numpy as np
    from sklearn.ensemble import RandomForestClassifier

    x = np.random.RandomState(0).rand(40, 3)
    return RandomForestClassifier(n_estimators=3, random_state=0).fit(x, x[:, 0] > 0.5), x


def test_equal_models_saved_apart_have_the_same_sha256(tmp_path: Path) -> None:
    # both alive at once, so skops' id()-named members differ; a clock tick apart too
    (first, x), (second, _) = _fitted_forest(), _fitted_forest()
    save_model(first, tmp_path / "a.skops")
    import time

    time.sleep(2.1)  # zip dates have two-second resolution
    save_model(second, tmp_path / "b.skops")
    assert sha256_file(tmp_path / "a.skops") == sha256_file(tmp_path / "b.skops")
    loaded: Any = load_model(tmp_path / "b.skops", ["sklearn.tree._tree.Tree"])
    assert list(loaded.predict(x)) == list(first.predict(x))


def test_a_saved_file_has_fixed_dates_modes_and_sorted_members(tmp_path: Path) -> None:
    model, _ = _fitted_forest()
    save_model(model, tmp_path / "m.skops")
    with zipfile.ZipFile(tmp_path / "m.skops") as archive:
        infos = archive.infolist()
    assert [i.filename for i in infos] == sorted(i.filename for i in infos)
    assert {(i.date_time, i.external_attr >> 16, i.compress_type) for i in infos} == {
        ((1980, 1, 1, 0, 0, 0), 0o100644, zipfile.ZIP_STORED)}
    assert "1.npy" in {i.filename for i in infos}


def test_a_file_skops_dumped_is_repacked_to_what_save_model_writes(tmp_path: Path) -> None:
    import skops.io as sio

    from mlops_ci.modelio import make_reproducible

    model, _ = _fitted_forest()
    sio.dump(model, tmp_path / "dumped.skops")
    make_reproducible(tmp_path / "dumped.skops")
    save_model(model, tmp_path / "saved.skops")
    assert sha256_file(tmp_path / "dumped.skops") == sha256_file(tmp_path / "saved.skops")
    assert untrusted_types(tmp_path / "dumped.skops") == ("sklearn.tree._tree.Tree",)


def test_shared_objects_stay_shared_after_repacking(tmp_path: Path) -> None:
    import numpy as np

    shared = np.arange(5.0)
    save_model({"a": shared, "b": shared, "c": np.arange(5.0)}, tmp_path / "m.skops")
    loaded: Any = load_model(tmp_path / "m.skops", ())
    assert loaded["a"] is loaded["b"]
    assert loaded["a"] is not loaded["c"]
    with zipfile.ZipFile(tmp_path / "m.skops") as archive:
        assert sorted(archive.namelist()) == ["1.npy", "2.npy", "schema.json"]

#!/bin/sh
# Shrink the image's venv: run in the Dockerfile's builder stage after the dependencies are
# installed (the Dockerfile removes pip once mlops-ci is in; precompile.py then compiles what a
# run imports).
#
# Removes what a run never loads: the test suites that numpy, scipy, pandas, scikit-learn,
# pyarrow and skops ship, C/Cython headers and sources, any bytecode, and pyarrow's Flight and
# S3 libraries (loaded only by pyarrow.flight and pyarrow.fs.S3FileSystem; pyarrow.fs imports
# without them).
set -eu
venv="$1"
site="$(echo "$venv"/lib/python3*/site-packages)"

for package in numpy scipy pandas sklearn pyarrow skops; do
    [ -d "$site/$package" ] || continue
    find "$site/$package" -depth -type d -name tests -exec rm -rf {} +
done
rm -rf "$site/pyarrow/include" "$site/pyarrow/src" "$site/numpy/_core/include" \
    "$site/pyarrow/libarrow_flight.so"* "$site/pyarrow/libarrow_python_flight.so"* \
    "$site"/pyarrow/_flight.*.so "$site/pyarrow/libarrow_s3.so"* "$site"/pyarrow/_s3fs.*.so \
    "$site"/pyarrow/_pyarrow_cpp_tests.*.so
find "$site" \( -name '*.pyx' -o -name '*.pxd' -o -name '*.pxi' -o -name '*.c' -o -name '*.cpp' \
    -o -name '*.h' -o -name '*.hpp' \) -type f -delete
find "$venv" -depth -type d -name __pycache__ -exec rm -rf {} +

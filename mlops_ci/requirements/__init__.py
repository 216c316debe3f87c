"""The user's own Python packages: a model's ``train.requirements`` file, checked or installed."""

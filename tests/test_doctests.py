"""The examples in the docstrings of the installed package run and print what they say."""

import doctest
import importlib
import pkgutil

import pytest

import automl

MODULES = sorted(info.name for info in pkgutil.walk_packages(automl.__path__, "automl.") if not info.name.endswith("__main__"))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    failed, _ = doctest.testmod(module, verbose=False)
    assert failed == 0

"""The shape every recipe shares: settings in a dataclass, a run named by them.

A recipe is one original script as library code. Its settings are a dataclass whose fields are
the script's flags (the same names and defaults), so the example shell that parses those flags
builds the recipe with `Recipe.from_args(args)`, and a Python user with
`Recipe(dataset="fashion_mnist", output_dim=32)`. An unknown setting is a `TypeError` naming it.
"""

from __future__ import annotations

import argparse
import dataclasses
from typing import TYPE_CHECKING
from typing import TypeVar

from keras_hashing.recipes.runs import run_file_name
from keras_hashing.recipes.runs import run_settings

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

_Recipe = TypeVar("_Recipe", bound="Recipe")


class Recipe:
    """Base of the recipes: holds `self.config`, an instance of `config_class`.

    Subclasses set `config_class` (a dataclass), define `file_stem()` (the original's name for
    the run's files) and `run()` (the whole script: data, model, training, report).
    """

    config_class: type = None
    # Named configurations: {name: {setting: value}} over the config's defaults.
    presets: dict = {}

    def __init__(self, config: DataclassInstance | None = None, **settings):
        if config is None:
            config = self.config_class()
        elif not isinstance(config, self.config_class):
            raise TypeError(
                f"{type(self).__name__} takes a {self.config_class.__name__}, found "
                f"{type(config).__name__}."
            )
        known = {field.name for field in dataclasses.fields(self.config_class)}
        unknown = sorted(set(settings) - known)
        if unknown:
            raise TypeError(
                f"{type(self).__name__} has no setting {', '.join(map(repr, unknown))}; its "
                f"settings are {sorted(known)}."
            )
        self.config = dataclasses.replace(config, **settings)

    @classmethod
    def from_args(cls: type[_Recipe], args: argparse.Namespace) -> _Recipe:
        """The recipe of a parsed command line; every parsed flag must be a setting."""
        return cls(**vars(args))

    @classmethod
    def preset(cls: type[_Recipe], name: str, **overrides) -> _Recipe:
        """The named configuration `name` (see `presets`), with `overrides` on top."""
        if name not in cls.presets:
            raise ValueError(
                f"{cls.__name__} has no preset {name!r}; its presets are {sorted(cls.presets)}."
            )
        return cls(**{**cls.presets[name], **overrides})

    def settings(self) -> dict:
        """Every setting, by name."""
        return dataclasses.asdict(self.config)

    def run_settings(self) -> dict:
        """The settings that change the result (not the output folders or devices)."""
        return run_settings(self.settings())

    def file_stem(self) -> str:
        raise NotImplementedError(f"{type(self).__name__} must define file_stem().")

    def run_name(self) -> str:
        """The original's file stem plus a digest of every run setting."""
        return run_file_name(self.file_stem(), self.settings())

    def run(self) -> dict | str | None:
        raise NotImplementedError(f"{type(self).__name__} must define run().")

"""Recipes: what one original codebase's scripts do, as reusable library code."""

from keras_hashing.recipes.fitting import fit_variable_epochs

"""Vigil: AI video surveillance for industrial sites."""

"""Prompt coach: a chat that helps creators write better generation prompts."""

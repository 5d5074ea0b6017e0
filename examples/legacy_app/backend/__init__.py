"""Creator platform backend: brand kits, generation, coach, media."""

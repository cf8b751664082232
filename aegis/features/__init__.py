"""Pure, point-in-time feature builders."""

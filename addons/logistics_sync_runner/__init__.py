from .post_load import post_load

from . import test_post_load

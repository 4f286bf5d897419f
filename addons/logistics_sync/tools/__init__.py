from . import bulk, jobs

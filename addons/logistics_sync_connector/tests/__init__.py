from . import test_easypost, test_job_channels, test_lib, test_outbound, test_security, test_ui, test_webhook

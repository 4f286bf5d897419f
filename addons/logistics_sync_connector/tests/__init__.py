from . import test_webhook
from . import test_outbound
from . import test_security

import sys

from gaitnode.host.cli import main

sys.exit(main())

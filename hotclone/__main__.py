import sys

from hotclone.cli.main import main

sys.exit(main())

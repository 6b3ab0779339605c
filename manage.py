#!/usr/bin/env python
from shequ.manage import main

if __name__ == "__main__":
    main()

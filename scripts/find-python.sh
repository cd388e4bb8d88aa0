#!/usr/bin/env sh
# Print the path of a Python 3.12 (or 3.13) interpreter: $PYTHON, python3.12 on PATH, then pyenv.
set -eu
ok() { "$1" -c 'import sys; sys.exit(0 if (3, 12) <= sys.version_info[:2] < (3, 14) else 1)' 2>/dev/null; }
for candidate in "${PYTHON:-}" python3.12 python3.13 python3; do
    [ -n "$candidate" ] || continue
    path=$(command -v "$candidate" 2>/dev/null) || continue
    if ok "$path"; then echo "$path"; exit 0; fi
done
if command -v pyenv >/dev/null 2>&1; then
    for version in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.1[23](\.[0-9]+)?$' | sort -V); do
        path="$(pyenv root)/versions/$version/bin/python3"
        if ok "$path"; then echo "$path"; exit 0; fi
    done
fi
echo "Python 3.12 not found. Install it (e.g. 'pyenv install 3.12') or set PYTHON=/path/to/python3.12" >&2
exit 1

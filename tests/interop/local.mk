# tests/interop: the daemons driven by an independent client, the npm package
# ali-ons (see tests/interop/README.md). Not part of `make check`: the first
# run needs npm to fetch the pinned client. Run with `make check-interop`.
EXTRA_DIST += tests/interop/README.md tests/interop/.npmrc tests/interop/.gitignore \
	tests/interop/package.json tests/interop/package-lock.json \
	tests/interop/run.sh tests/interop/daemons.sh tests/interop/lib \
	tests/interop/mock tests/interop/tests

check-interop: src/namesrv/rmq-namesrv src/broker/rmq-broker src/tools/rmq-call
	$(SHELL) $(top_srcdir)/tests/interop/run.sh --require-broker $(abs_top_builddir)

# The same tests against tests/interop/mock/mock-broker.js: a check of the
# tests themselves (MOCK_FAULT=... makes the mock misbehave).
check-interop-mock: src/namesrv/rmq-namesrv src/tools/rmq-call
	$(SHELL) $(top_srcdir)/tests/interop/run.sh --mock-broker $(abs_top_builddir)

.PHONY: check-interop check-interop-mock

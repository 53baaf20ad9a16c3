# systemd/: units, target and sysusers file made from .in templates with fully
# expanded paths (AC_CONFIG_FILES would leave ${prefix} in them); the sample
# configs; and the packaging files that go into the dist tarball.

rmq_units = \
	systemd/rmq-namesrv@.service \
	systemd/rmq-broker@.service \
	systemd/rocketmq.target
rmq_sysusers = systemd/sysusers.d/rocketmq.conf

systemdsystemunit_DATA = $(rmq_units)
sysusers_DATA = $(rmq_sysusers)

rmq_subst = sed \
	-e 's|@sbindir[@]|$(sbindir)|g' \
	-e 's|@bindir[@]|$(bindir)|g' \
	-e 's|@sysconfdir[@]|$(sysconfdir)|g' \
	-e 's|@localstatedir[@]|$(localstatedir)|g'

# One explicit rule per file: pattern rules are a GNU make extension.
systemd/rmq-namesrv@.service: $(srcdir)/systemd/rmq-namesrv@.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) systemd && $(rmq_subst) $(srcdir)/systemd/rmq-namesrv@.service.in > $@.tmp && mv $@.tmp $@
systemd/rmq-broker@.service: $(srcdir)/systemd/rmq-broker@.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) systemd && $(rmq_subst) $(srcdir)/systemd/rmq-broker@.service.in > $@.tmp && mv $@.tmp $@
systemd/rocketmq.target: $(srcdir)/systemd/rocketmq.target.in Makefile
	$(AM_V_GEN)$(MKDIR_P) systemd && $(rmq_subst) $(srcdir)/systemd/rocketmq.target.in > $@.tmp && mv $@.tmp $@
systemd/sysusers.d/rocketmq.conf: $(srcdir)/systemd/sysusers.d/rocketmq.conf.in Makefile
	$(AM_V_GEN)$(MKDIR_P) systemd/sysusers.d && $(rmq_subst) $(srcdir)/systemd/sysusers.d/rocketmq.conf.in > $@.tmp && mv $@.tmp $@

CLEANFILES += $(rmq_units) $(rmq_sysusers)
EXTRA_DIST += \
	systemd/rmq-namesrv@.service.in \
	systemd/rmq-broker@.service.in \
	systemd/rocketmq.target.in \
	systemd/sysusers.d/rocketmq.conf.in

# Sample instance configs, one per instance name the units expect
# (rmq-namesrv@1 -> namesrv-1.conf, rmq-broker@broker-a -> broker-a.conf).
# Packages mark them as configuration files (conffiles / %config(noreplace)).
rocketmqconfdir = $(sysconfdir)/rocketmq
dist_rocketmqconf_DATA = \
	etc/rocketmq/namesrv-1.conf \
	etc/rocketmq/namesrv-2.conf \
	etc/rocketmq/broker-a.conf \
	etc/rocketmq/broker-a-s.conf \
	etc/rocketmq/broker-b.conf \
	etc/rocketmq/broker-b-s.conf \
	etc/rocketmq/broker.conf

# plain_acl.yml holds secrets: 0640 here; the packages give it group
# rocketmq (the broker's) in their maintainer scripts / %attr.
dist_rocketmqconf_DATA += etc/rocketmq/plain_acl.yml
install-data-hook: install-plain-acl-mode
install-plain-acl-mode:
	chmod 0640 $(DESTDIR)$(rocketmqconfdir)/plain_acl.yml
.PHONY: install-plain-acl-mode

# Packaging guide, installed as a doc (own variable: dist_doc_DATA stays free
# for the top-level Makefile.am).
rmqdocdir = $(docdir)
dist_rmqdoc_DATA = docs/packaging.md

# rpm/rmq.spec is made by configure, so `rpmbuild -ta rmq-X.Y.Z.tar.gz` finds
# it in the tarball. debian/ stays out of the tarball (Debian packages from git).
EXTRA_DIST += rpm/rmq.spec.in rpm/rmq.spec

# Packages installed under a real systemd in a container: scripts/test.sh runs
# it once, as root (not `make check`, which also runs in the sanitizer build
# and in distcheck). It prints a TAP skip when it cannot run.
EXTRA_DIST += tests/system/run.sh


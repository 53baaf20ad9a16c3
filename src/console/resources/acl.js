// rmq console: the plain ACL page (/api/acl). Loaded after app.js, whose
// helpers it uses (its strings are the acl.* keys of the language tables);
// it registers itself as the page "acl". Secrets are never shown: the API
// masks them, and an edit that leaves the secret empty keeps the one the
// broker holds.
'use strict';

async function aclPage() {
  const form = document.getElementById('acl-form');
  const list = (a) => (a && a.length ? a.join(', ') : '');
  const edit = (a) => {
    form.elements.accessKey.value = a.accessKey || '';
    form.elements.secretKey.value = '';
    form.elements.whiteRemoteAddress.value = a.whiteRemoteAddress || '';
    form.elements.defaultTopicPerm.value = a.defaultTopicPerm || '';
    form.elements.defaultGroupPerm.value = a.defaultGroupPerm || '';
    form.elements.topicPerms.value = (a.topicPerms || []).join(',');
    form.elements.groupPerms.value = (a.groupPerms || []).join(',');
    form.elements.admin.checked = !!a.admin;
    form.scrollIntoView();
  };
  const draw = async () => {
    const r = await api('/api/acl');
    const out = document.getElementById('acl-brokers');
    out.replaceChildren();
    for (const b of r.brokers) {
      const card = el('section', { class: 'card' }, el('h2', {}, (b.brokerName ? b.brokerName + ' ' : '') + b.addr));
      if (b.error) {
        card.append(el('p', { class: 'status error' }, b.error));
        out.append(card);
        continue;
      }
      card.append(el('p', { class: 'muted' }, t('acl.file', { file: b.file || '', counter: b.version ? b.version.counter : 0 })));
      card.append(el('p', {}, t('acl.whites', { list: list(b.globalWhiteAddrs) || t('acl.none') })));
      const cols = [t('acl.col.accessKey'), t('acl.col.secret'), t('acl.col.white'), t('acl.col.admin'),
        t('acl.col.topicDefault'), t('acl.col.groupDefault'), t('acl.col.topicPerms'), t('acl.col.groupPerms'), ''];
      const head = el('tr', {}, ...cols.map(c => el('th', { scope: 'col' }, c)));
      const rows = b.accounts.map(a => el('tr', {}, td(a.accessKey), td(a.secretKey), td(a.whiteRemoteAddress),
        td(a.admin ? t('acl.yes') : ''), td(a.defaultTopicPerm), td(a.defaultGroupPerm), td(list(a.topicPerms)),
        td(list(a.groupPerms)),
        el('td', {},
          el('button', { class: 'link', type: 'button', 'data-change': '', onclick: () => edit(a) }, t('acl.edit')), ' ',
          el('button', { class: 'link', type: 'button', 'data-change': '', onclick: () => guarded(async () => {
            if (!confirm(t('acl.confirmDelete', { key: a.accessKey }))) return;
            const d = await post('/api/acl/delete', { accessKey: a.accessKey });
            status(t('acl.deleted', { key: a.accessKey, n: d.brokers.length }), 'ok');
            await draw();
          }) }, t('acl.delete')))));
      card.append(el('div', { class: 'scroll' }, el('table', {}, el('thead', {}, head), el('tbody', {}, ...rows))));
      out.append(card);
    }
  };
  onSubmit(form, async d => {
    const r = await post('/api/acl', d);
    form.elements.secretKey.value = '';
    status(t('acl.saved', { key: r.accessKey, n: r.brokers.length }), 'ok');
    await draw();
  });
  await draw();
}

PAGES.acl = aclPage;

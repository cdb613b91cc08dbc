// Drafts of long forms kept on the device (localStorage), for inspections on a slow or broken
// network: every answer is written to the draft as it is typed, so a save that never reached the
// server loses nothing. When the page loads with values that differ from the draft (the last save
// did not arrive), the draft's values are put back and a banner says so; once the server holds
// the same values, the draft is dropped. File inputs cannot be restored by a page and are skipped.
(function () {
  var storage;
  try { storage = window.localStorage; } catch (e) { return; }  // private mode: no drafts
  if (!storage) return;

  function fieldKey(el) { return el.type === 'radio' ? el.name + '=' + el.value : el.name; }
  function isKept(el) { return el.name && ['hidden', 'file', 'submit', 'button'].indexOf(el.type) < 0; }
  function valueOf(el) { return el.type === 'radio' || el.type === 'checkbox' ? el.checked : el.value; }
  function setValue(el, value) {
    if (el.type === 'radio' || el.type === 'checkbox') el.checked = value; else el.value = value;
  }

  document.querySelectorAll('form[data-draft-key]').forEach(function (form) {
    var key = 'firegov-draft:' + form.dataset.draftKey;
    var fields = function () { return Array.prototype.filter.call(form.elements, isKept); };
    var draft;
    try { draft = JSON.parse(storage.getItem(key) || 'null'); } catch (e) { draft = null; }
    var restored = 0;
    if (draft && typeof draft === 'object') {
      fields().forEach(function (el) {
        var k = fieldKey(el);
        if (Object.prototype.hasOwnProperty.call(draft, k) && valueOf(el) !== draft[k]) {
          setValue(el, draft[k]);
          restored += 1;
        }
      });
    }
    if (restored) {
      var banner = document.createElement('p');
      banner.className = 'card draft-restored';
      banner.setAttribute('role', 'status');
      banner.textContent = form.dataset.draftRestored + ' ';
      var discard = document.createElement('button');
      discard.type = 'button';
      discard.className = 'secondary';
      discard.textContent = form.dataset.draftDiscard;
      discard.addEventListener('click', function () { storage.removeItem(key); window.location.reload(); });
      banner.appendChild(discard);
      form.parentNode.insertBefore(banner, form);
    } else {
      storage.removeItem(key);  // the server holds everything the draft held
    }
    function save() {
      var values = {};
      fields().forEach(function (el) { values[fieldKey(el)] = valueOf(el); });
      try { storage.setItem(key, JSON.stringify(values)); } catch (e) { /* storage full: no draft */ }
    }
    form.addEventListener('input', save);
    form.addEventListener('change', save);
  });
})();

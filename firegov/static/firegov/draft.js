// Checklist answers kept on the device (localStorage) while an inspection is filled in on a slow or
// broken network, so that a save which never reached the server loses nothing.
//
// Only the answers and notes the user changed are kept, each with the value the server had shown
// for it. When the page is opened again and the server still shows that value, the kept answer is
// put back and a banner says so; an answer someone else saved meanwhile is left alone. A draft is
// removed once the server holds it, when it is discarded, when the inspection is no longer open
// (the page then carries data-draft-clear), at logout, and after a week. The key names the user,
// so that a colleague on the same phone never gets another's draft.
(function () {
  var storage;
  try { storage = window.localStorage; } catch (e) { return; }  // private mode: no drafts
  if (!storage) return;
  var PREFIX = 'firegov-draft:';
  var MAX_AGE_MS = 7 * 24 * 3600 * 1000;
  var each = function (list, fn) { Array.prototype.forEach.call(list, fn); };

  function drop(key) { try { storage.removeItem(key); } catch (e) { /* nothing to do */ } }
  function dropAll(olderThan) {
    var keys = [];
    for (var i = 0; i < storage.length; i += 1) {
      var key = storage.key(i);
      if (key && key.indexOf(PREFIX) === 0) keys.push(key);
    }
    each(keys, function (key) {
      if (olderThan === undefined) { drop(key); return; }
      var draft = null;
      try { draft = JSON.parse(storage.getItem(key)); } catch (e) { /* unreadable: drop it */ }
      if (!draft || typeof draft.at !== 'number' || draft.at < olderThan) drop(key);
    });
  }
  dropAll(Date.now() - MAX_AGE_MS);
  each(document.querySelectorAll('[data-draft-clear]'), function (el) { drop(PREFIX + el.getAttribute('data-draft-clear')); });
  each(document.querySelectorAll('form[data-logout]'), function (form) {
    form.addEventListener('submit', function () { dropAll(); });
  });

  // A field of the draft: a text input, or a group of radio buttons taken as one value.
  function fieldsOf(form) {
    var fields = [], groups = {};
    each(form.elements, function (el) {
      if (!/^(result|note)_/.test(el.name || '') || el.type === 'file') return;
      if (el.type === 'radio') {
        if (!groups[el.name]) {
          groups[el.name] = [];
          fields.push({ key: el.name, radios: groups[el.name] });
        }
        groups[el.name].push(el);
      } else {
        fields.push({ key: el.name, input: el });
      }
    });
    fields.forEach(function (f) {
      if (f.input) {
        f.shown = function () { return f.input.defaultValue; };
        f.current = function () { return f.input.value; };
        f.put = function (v) { f.input.value = v; };
      } else {
        var pick = function (test) {
          var found = f.radios.filter(test)[0];
          return found ? found.value : '';
        };
        f.shown = function () { return pick(function (r) { return r.defaultChecked; }); };
        f.current = function () { return pick(function (r) { return r.checked; }); };
        f.put = function (v) { f.radios.forEach(function (r) { r.checked = r.value === v; }); };
      }
    });
    return fields;
  }

  each(document.querySelectorAll('form[data-draft-key]'), function (form) {
    var key = PREFIX + form.getAttribute('data-draft-key');
    var fields = fieldsOf(form);
    var draft = null;
    try { draft = JSON.parse(storage.getItem(key) || 'null'); } catch (e) { draft = null; }
    var changes = draft && typeof draft.fields === 'object' && draft.fields ? draft.fields : {};
    var restored = 0;
    fields.forEach(function (f) {
      var entry = changes[f.key];  // [what the server showed, what the user entered]
      if (!entry || entry[0] !== f.shown() || entry[1] === f.shown()) return;
      f.put(entry[1]);
      restored += 1;
    });
    if (restored) {
      var banner = document.createElement('p');
      banner.className = 'card draft-restored';
      banner.setAttribute('role', 'status');
      banner.textContent = form.getAttribute('data-draft-restored') + ' ';
      var discard = document.createElement('button');
      discard.type = 'button';
      discard.className = 'secondary';
      discard.textContent = form.getAttribute('data-draft-discard');
      discard.addEventListener('click', function () {
        drop(key);
        form.reset();  // back to what the server shows
        banner.parentNode.removeChild(banner);
      });
      banner.appendChild(discard);
      form.parentNode.insertBefore(banner, form);
    } else {
      drop(key);  // the server holds everything the draft held, or shows newer answers
    }
    function save() {
      var changed = {}, any = false;
      fields.forEach(function (f) {
        if (f.current() !== f.shown()) { changed[f.key] = [f.shown(), f.current()]; any = true; }
      });
      try {
        if (any) storage.setItem(key, JSON.stringify({ at: Date.now(), fields: changed })); else drop(key);
      } catch (e) { /* storage full: no draft */ }
    }
    form.addEventListener('input', save);
    form.addEventListener('change', save);
  });
})();

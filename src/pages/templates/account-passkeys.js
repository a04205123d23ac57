// "Add a passkey" on the account page: progressive enhancement, like
// passkey-login.js. The form is hidden in the HTML and shown only where the
// browser can do WebAuthn with JSON options. Served as a file (script-src
// 'self'), never inline. On submit: creation options from
// POST /account/passkeys/options (with the form's CSRF token; connect-src
// 'self'), navigator.credentials.create(), then the form is submitted with
// the answer.
(() => {
  'use strict';
  const form = document.getElementById('add-passkey');
  const credentials = window.PublicKeyCredential;
  if (!form || !credentials || typeof credentials.parseCreationOptionsFromJSON !== 'function' || !navigator.credentials) return;
  const button = form.querySelector('button');
  const status = document.getElementById('add-passkey-status');
  const fallback = document.getElementById('passkey-needs-script');
  if (fallback) fallback.hidden = true;
  form.hidden = false;
  form.addEventListener('submit', async (event) => {
    if (form.elements.namedItem('response').value) return;
    event.preventDefault();
    button.disabled = true;
    status.textContent = '';
    try {
      const body = new URLSearchParams({ _csrf: form.elements.namedItem('_csrf').value });
      const answer = await fetch(form.dataset.options, { method: 'POST', body, headers: { accept: 'application/json' }, credentials: 'same-origin' });
      if (answer.status === 403 || answer.status === 401) throw new Error('stale');
      if (!answer.ok) throw new Error(`options: ${answer.status}`);
      const options = await answer.json();
      const credential = await navigator.credentials.create({ publicKey: credentials.parseCreationOptionsFromJSON(options) });
      form.elements.namedItem('response').value = JSON.stringify(credential.toJSON());
      form.submit();
    } catch (error) {
      status.textContent = error && error.message === 'stale'
        ? 'Adding a passkey needs a sign-in within the last 5 minutes: sign out and in again, then add it.'
        : 'The passkey was not added: it was cancelled or did not work. Try again.';
      button.disabled = false;
    }
  });
})();

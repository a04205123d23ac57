// "Sign in with a passkey" on the login page: progressive enhancement. The
// button's form is hidden in the HTML and shown here only where the browser
// can do WebAuthn with JSON options; the password form never needs this file.
// Served as a file (script-src 'self'), never inline. On click: sign-in options
// from POST /auth/passkeys/authentication/options (connect-src 'self'),
// navigator.credentials.get(), then the form is submitted with the answer,
// its CSRF token and the authorization request, as the password form is.
(() => {
  'use strict';
  const form = document.getElementById('passkey-form');
  const credentials = window.PublicKeyCredential;
  if (!form || !credentials || typeof credentials.parseRequestOptionsFromJSON !== 'function' || !navigator.credentials) return;
  const button = form.querySelector('button');
  const status = document.getElementById('passkey-status');
  form.hidden = false;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    button.disabled = true;
    status.textContent = '';
    try {
      const answer = await fetch(form.dataset.options, { method: 'POST', headers: { accept: 'application/json' }, credentials: 'same-origin' });
      if (!answer.ok) throw new Error(`options: ${answer.status}`);
      const options = await answer.json();
      const credential = await navigator.credentials.get({ publicKey: credentials.parseRequestOptionsFromJSON(options) });
      form.elements.namedItem('challengeId').value = options.challengeId;
      form.elements.namedItem('response').value = JSON.stringify(credential.toJSON());
      form.submit();
    } catch {
      status.textContent = 'The passkey sign-in was cancelled or did not work. Try again, or sign in with your password.';
      button.disabled = false;
    }
  });
})();

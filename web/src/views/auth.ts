import { post } from '../api';
import { field, h, replaceChildren } from '../dom';
import { clearInvalidFields, errorBox, markInvalidFields } from '../errors';
import { session } from '../session';
import type { AuthResult } from '../types';
import { busy, flashNext, navigate, takeFlash } from '../ui';
import type { ViewContext } from '../view';

/** Where to go after signing in: only in-app hashes, never another site. */
function nextHash(query: URLSearchParams, fallback: string): string {
  const next = query.get('next');
  return next && next.startsWith('#/') ? next : fallback;
}

export function authView(ctx: ViewContext): void {
  const { root, query } = ctx;
  const flash = takeFlash();

  if (session.signedIn && session.user) {
    replaceChildren(
      root,
      flash,
      ctx.heading('Account'),
      h('p', null, `You are signed in as ${session.user.nombre} (${session.user.email}).`),
      h('p', null, h('a', { href: '#/' }, 'Browse events'), ' · ', h('a', { href: '#/orders' }, 'My orders')),
    );
    return;
  }

  const done = (result: AuthResult, verb: string) => {
    session.set(result.token, result.user);
    flashNext(`${verb} as ${result.user.nombre}.`);
    const fallback = result.user.role === 'COMPRADOR' ? '#/' : '#/organizer';
    navigate(nextHash(query, fallback));
  };

  // Sign in
  const loginEmail = h('input', { type: 'email', name: 'email', autocomplete: 'username', required: true });
  const loginPassword = h('input', {
    type: 'password',
    name: 'password',
    autocomplete: 'current-password',
    required: true,
  });
  const loginError = h('div', { class: 'form-error-slot' });
  const loginButton = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Sign in');
  const loginForm = h(
    'form',
    { class: 'card auth-form', 'aria-labelledby': 'signin-heading', novalidate: true },
    h('h2', { id: 'signin-heading' }, 'Sign in'),
    field('Email', loginEmail),
    field('Password', loginPassword),
    loginError,
    loginButton,
  );
  loginForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearInvalidFields(loginForm);
    replaceChildren(loginError);
    try {
      const result = await busy(loginButton, 'Signing in…', () =>
        post<AuthResult>(
          '/api/auth/login',
          { email: loginEmail.value.trim(), password: loginPassword.value },
          { auth: false },
        ),
      );
      done(result, 'Signed in');
    } catch (error) {
      if (ctx.signal.aborted) return;
      replaceChildren(loginError, errorBox(error));
      markInvalidFields(loginForm, error);
    }
  });

  // Register
  const regName = h('input', { type: 'text', name: 'nombre', autocomplete: 'name', required: true });
  const regEmail = h('input', { type: 'email', name: 'email', autocomplete: 'email', required: true });
  const regPassword = h('input', {
    type: 'password',
    name: 'password',
    autocomplete: 'new-password',
    required: true,
    minlength: 8,
  });
  const regRole = h(
    'select',
    { name: 'role' },
    h('option', { value: 'COMPRADOR' }, 'Buyer: I want to buy tickets'),
    h('option', { value: 'ORGANIZADOR' }, 'Organizer: I want to sell tickets'),
  );
  const regError = h('div', { class: 'form-error-slot' });
  const regButton = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Create account');
  const regForm = h(
    'form',
    { class: 'card auth-form', 'aria-labelledby': 'register-heading', novalidate: true },
    h('h2', { id: 'register-heading' }, 'Create an account'),
    field('Name', regName),
    field('Email', regEmail),
    field('Password', regPassword, 'At least 8 characters, with a letter and a digit.'),
    field('Account type', regRole),
    regError,
    regButton,
  );
  regForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearInvalidFields(regForm);
    replaceChildren(regError);
    try {
      const result = await busy(regButton, 'Creating account…', () =>
        post<AuthResult>(
          '/api/auth/register',
          {
            nombre: regName.value.trim(),
            email: regEmail.value.trim(),
            password: regPassword.value,
            role: regRole.value,
          },
          { auth: false },
        ),
      );
      done(result, 'Welcome! Signed in');
    } catch (error) {
      if (ctx.signal.aborted) return;
      replaceChildren(regError, errorBox(error));
      markInvalidFields(regForm, error);
    }
  });

  replaceChildren(
    root,
    flash,
    ctx.heading('Sign in or register'),
    h('div', { class: 'two-columns' }, loginForm, regForm),
  );
}

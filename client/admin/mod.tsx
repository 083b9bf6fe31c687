/** The admin page and the password reset form, each started on its own path. */

import type { JSX } from "preact";
import { render } from "preact";
import { AdminPage, useAdminService } from "./AdminPage.tsx";
import { ResetPage } from "./ResetPage.tsx";
import { VerifyEmailPage } from "./VerifyEmailPage.tsx";
import { AdminService } from "./service.ts";
import { type AdminState, createAdminState } from "./state.ts";

/** Renders `/admin` into `root`; returns its state for debugging. */
export function startAdmin(root: HTMLElement): AdminState {
  const state = createAdminState();
  const service = new AdminService(state);
  render(<AdminRoot state={state} service={service} />, root);
  return state;
}

/** Renders `/verify-email#<token>` into `root`. */
export function startVerifyEmail(root: HTMLElement): void {
  render(<VerifyEmailPage token={location.hash.slice(1)} />, root);
}

/** Renders `/reset#<token>` into `root`. */
export function startReset(root: HTMLElement): void {
  render(<ResetPage token={location.hash.slice(1)} />, root);
}

function AdminRoot(
  { state, service }: { state: AdminState; service: AdminService },
): JSX.Element {
  useAdminService(service);
  return <AdminPage state={state} service={service} />;
}

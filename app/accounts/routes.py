"""Accounts API: registration, login, tokens, the caller's profile, staff management."""

from __future__ import annotations

from flask import g
from flask.views import MethodView
from flask_babel import gettext
from flask_smorest import Blueprint

from app.access import AUTHENTICATED, PUBLIC, allow, require_user
from app.accounts import resets, services, sessions
from app.accounts.models import Role
from app.accounts.schemas import (
    AcceptedSchema,
    AdminResetSchema,
    LoginSchema,
    LogoutSchema,
    PasswordChangeSchema,
    PasswordResetConfirmSchema,
    PasswordResetRequestSchema,
    ProfileUpdateSchema,
    RefreshSchema,
    RegistrationSchema,
    StaffInputSchema,
    StaffUpdateSchema,
    TokenSchema,
    UserSchema,
)
from app.accounts.terms import terms_exempt
from app.i18n import current_language
from app.limits import rate_limited
from app.maintenance.hooks import maintenance_exempt
from app.openapi import problems
from app.pagination import MAX_PAGE_SIZE, PAGE_SIZE, SQLPage

blp = Blueprint("accounts", __name__, url_prefix="/api/v1", description="Accounts, login and staff")


@blp.route("/auth/register")
class Register(MethodView):
    @allow(PUBLIC)
    @rate_limited("register")
    @blp.arguments(RegistrationSchema)
    @blp.response(201, UserSchema)
    def post(self, data):
        """Register an applicant: an individual, or a business with CR number and trade name"""
        return services.register_applicant(data, current_language())


@blp.route("/auth/login")
class Login(MethodView):
    @allow(PUBLIC)
    @maintenance_exempt
    @rate_limited("login")
    @problems(
        {
            401: (("invalid_credentials", "wrong e-mail, civil ID or password"),),
            429: (
                (
                    "too_many_requests",
                    "the account is locked after `LOGIN_MAX_FAILURES` failures in a row, or "
                    "too many attempts; wait `Retry-After` seconds",
                ),
            ),
        }
    )
    @blp.arguments(LoginSchema)
    @blp.response(200, TokenSchema)
    def post(self, data):
        """Log in with e-mail or civil ID and password; returns access and refresh tokens"""
        identifier = {k: data[k] for k in ("email", "civil_id") if k in data}
        return sessions.log_in(identifier, data["password"])


@blp.route("/auth/refresh")
class Refresh(MethodView):
    @allow(PUBLIC)
    @maintenance_exempt
    @rate_limited("refresh")
    @problems(
        {
            401: (("invalid_refresh_token", "unknown, used, revoked or expired refresh token"),),
        }
    )
    @blp.arguments(RefreshSchema)
    @blp.response(200, TokenSchema)
    def post(self, data):
        """Swap a refresh token for new tokens; the old refresh token stops working

        Presenting a refresh token that was already swapped ends its whole session (reuse
        detection): its access tokens and its current refresh token stop working too."""
        return sessions.refresh_session(data["refresh_token"])


@blp.route("/auth/logout")
class Logout(MethodView):
    @allow(AUTHENTICATED)
    @maintenance_exempt
    @terms_exempt
    @blp.arguments(LogoutSchema, required=False)
    @blp.response(204)
    def post(self, data):
        """Log out: the session's access and refresh tokens stop working at once"""
        sessions.log_out(
            require_user(), g.session_id, all_sessions=(data or {}).get("all_sessions", False)
        )


@blp.route("/auth/password")
class Password(MethodView):
    @allow(AUTHENTICATED)
    @maintenance_exempt
    @terms_exempt
    @rate_limited("password")
    @blp.arguments(PasswordChangeSchema)
    @blp.response(204)
    def post(self, data):
        """Change the caller's password (the current one is needed); other sessions end"""
        services.change_password(
            require_user(), g.session_id, data["current_password"], data["new_password"]
        )


@blp.route("/auth/password-reset")
class PasswordResetRequest(MethodView):
    @allow(PUBLIC)
    @rate_limited("password_reset")
    @blp.arguments(PasswordResetRequestSchema)
    @blp.response(202, AcceptedSchema)
    def post(self, data):
        """Forgot the password: a one-time link by e-mail (`channel: email`, the default) or a
        six-digit code by SMS (`channel: sms`) goes to the account with this e-mail or civil ID

        The answer is 202 whether or not such an account exists. The link or code works once,
        for `PASSWORD_RESET_TTL` seconds; asking again replaces it. Then
        `POST /api/v1/auth/password-reset/confirm`."""
        identifier = {k: data[k] for k in ("email", "civil_id") if k in data}
        resets.request_reset(identifier, data["channel"])
        return {"detail": gettext(resets.RESET_SENT)}


@blp.route("/auth/password-reset/confirm")
class PasswordResetConfirm(MethodView):
    @allow(PUBLIC)
    @rate_limited("password_reset")
    @problems(
        {
            400: (("invalid_reset", "wrong, used, superseded or expired link or code"),),
            422: (("validation_failed", "the new password fails the policy (`errors`)"),),
        }
    )
    @blp.arguments(PasswordResetConfirmSchema)
    @blp.response(204)
    def post(self, data):
        """Set a new password with the link's `token`, or with `code` and the account's `email`
        or `civil_id`; every session of the account ends, and the user is told by the other
        channel. After `PASSWORD_RESET_MAX_TRIES` wrong codes the code stops working"""
        resets.confirm_reset(data)


@blp.route("/me")
class Me(MethodView):
    @allow(AUTHENTICATED)
    @blp.response(200, UserSchema)
    def get(self):
        """The caller's own account"""
        return require_user()

    @allow(AUTHENTICATED)
    @terms_exempt  # correcting one's own details is always allowed
    @blp.arguments(ProfileUpdateSchema)
    @blp.response(200, UserSchema)
    def patch(self, data):
        """Change the caller's mobile number or preferred language"""
        return services.update_profile(require_user(), data)


@blp.route("/applicants/<int:user_id>")
class Applicant(MethodView):
    @allow(Role.APPLICANT)
    @blp.response(200, UserSchema)
    def get(self, user_id):
        """An applicant's account: only the applicant's own; any other answers 404"""
        return services.get_applicant(require_user(), user_id)


@blp.route("/staff")
class StaffList(MethodView):
    @allow(Role.ADMIN)
    @blp.response(200, UserSchema(many=True))
    @blp.paginate(SQLPage, page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
    def get(self):
        """Staff of the admin's authority"""
        return services.staff_query(require_user())

    @allow(Role.ADMIN)
    @blp.arguments(StaffInputSchema)
    @blp.response(201, UserSchema)
    def post(self, data):
        """Add a member of staff to the admin's authority"""
        return services.create_staff(require_user(), data, current_language())


@blp.route("/staff/<int:user_id>")
class Staff(MethodView):
    @allow(Role.ADMIN)
    @blp.response(200, UserSchema)
    def get(self, user_id):
        """One member of staff of the admin's authority"""
        return services.get_staff(require_user(), user_id)

    @allow(Role.ADMIN)
    @blp.arguments(StaffUpdateSchema)
    @blp.response(200, UserSchema)
    def patch(self, data, user_id):
        """Change a member of staff's role or department, or deactivate the account"""
        return services.update_staff(require_user(), user_id, data)


@blp.route("/staff/<int:user_id>/password-reset")
class StaffPasswordReset(MethodView):
    @allow(Role.ADMIN)
    @blp.arguments(AdminResetSchema, required=False)
    @blp.response(202, AcceptedSchema)
    def post(self, data, user_id):
        """Reset a member of staff's password: their sessions end at once and a one-time link
        (or, with `channel: sms`, a code) goes to them; the admin never sees it"""
        resets.admin_reset(require_user(), user_id, (data or {}).get("channel", "email"))
        return {"detail": gettext(resets.ADMIN_RESET_SENT)}

from __future__ import annotations

import re

from marshmallow import (
    Schema,
    ValidationError,
    fields,
    post_load,
    pre_load,
    validate,
    validates_schema,
)

from app.accounts.models import STAFF_ROLES
from app.accounts.password_policy import password_problem
from app.i18n import LANGUAGES, N_
from app.schemas import AuthorityRefSchema, DepartmentRefSchema, MuscatDateTime

CIVIL_ID = re.compile(r"^[0-9]{6,9}$")
CR_NUMBER = re.compile(r"^[0-9]{5,10}$")
OMAN_MOBILE = re.compile(r"^\+968[79][0-9]{7}$")


def normalise_phone(value: object) -> object:
    """'9123 4567', '0096891234567', '968-9123-4567' → '+96891234567'; others unchanged."""
    if not isinstance(value, str):
        return value
    digits = re.sub(r"[\s\-()]", "", value)
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    if re.fullmatch(r"[0-9]{8}", digits):
        digits = "+968" + digits
    elif re.fullmatch(r"968[0-9]{8}", digits):
        digits = "+" + digits
    return digits


def _check(pattern: re.Pattern[str], message: str):
    def validator(value: str) -> None:
        if not pattern.fullmatch(value):
            raise ValidationError(message)

    return validator


civil_id_field = fields.String(
    required=True, validate=_check(CIVIL_ID, N_("A civil ID number is 6 to 9 digits."))
)
phone_field = fields.String(
    required=True,
    validate=_check(
        OMAN_MOBILE, N_("Enter an Omani mobile number: +968 and 8 digits starting with 7 or 9.")
    ),
)
# Length and strength are checked with the account's details (`ProfileInputSchema`).
password_field = fields.String(required=True, load_only=True)


class ProfileInputSchema(Schema):
    civil_id = civil_id_field
    name = fields.String(required=True, validate=validate.Length(min=3, max=200))
    email = fields.Email(required=True, validate=validate.Length(max=254))
    phone = phone_field
    password = password_field
    preferred_language = fields.String(validate=validate.OneOf(LANGUAGES))

    @pre_load
    def normalise(self, data, **kwargs):
        if isinstance(data, dict):
            data = dict(data)
            if "phone" in data:
                data["phone"] = normalise_phone(data["phone"])
            for key in ("name", "trade_name"):
                if isinstance(data.get(key), str):
                    data[key] = " ".join(data[key].split())
            if isinstance(data.get("email"), str):
                data["email"] = data["email"].strip().lower()
        return data

    @validates_schema(skip_on_field_errors=False)
    def strong_password(self, data, **kwargs):
        """Refuse a weak password, naming `password`, beside any other field's error."""
        if "password" not in data:
            return
        problem = password_problem(
            data["password"],
            email=data.get("email"),
            civil_id=data.get("civil_id"),
            phone=data.get("phone"),
        )
        if problem:
            raise ValidationError(problem, "password")


class RegistrationSchema(ProfileInputSchema):
    """An applicant registering: an individual, or a business when `cr_number` is given."""

    cr_number = fields.String(
        validate=_check(CR_NUMBER, N_("A commercial registration number is 5 to 10 digits."))
    )
    trade_name = fields.String(validate=validate.Length(min=2, max=200))
    accept_terms = fields.Boolean(
        load_default=True,
        load_only=True,
        metadata={
            "description": "Registering accepts every authority's current terms of use and "
            "privacy notice (GET /api/v1/terms), recorded with the time and address; false "
            "is refused"
        },
    )

    @validates_schema
    def terms_accepted(self, data, **kwargs):
        if data.get("accept_terms") is False:
            raise ValidationError(
                N_("An account needs the terms of use and privacy notice accepted."),
                "accept_terms",
            )

    @validates_schema
    def business_needs_both(self, data, **kwargs):
        if "cr_number" in data and "trade_name" not in data:
            raise ValidationError(
                N_("A business gives its trade name with its CR number."), "trade_name"
            )
        if "trade_name" in data and "cr_number" not in data:
            raise ValidationError(
                N_("A business gives its CR number with its trade name."), "cr_number"
            )


class StaffInputSchema(ProfileInputSchema):
    role = fields.String(
        required=True, validate=validate.OneOf(sorted(r.value for r in STAFF_ROLES))
    )
    department = fields.String(required=True, validate=validate.Length(min=1, max=40))


class StaffUpdateSchema(Schema):
    role = fields.String(validate=validate.OneOf(sorted(r.value for r in STAFF_ROLES)))
    department = fields.String(validate=validate.Length(min=1, max=40))
    is_active = fields.Boolean()


# Oman's eleven governorates.
GOVERNORATES = (
    "muscat",
    "dhofar",
    "musandam",
    "al_buraimi",
    "ad_dakhiliyah",
    "north_al_batinah",
    "south_al_batinah",
    "south_ash_sharqiyah",
    "north_ash_sharqiyah",
    "ad_dhahirah",
    "al_wusta",
)


class AddressSchema(Schema):
    """An Omani address: the governorate and wilayat always; the area or village, way (street)
    and building numbers, P.O. box and postal code where there are any."""

    governorate = fields.String(required=True, validate=validate.OneOf(GOVERNORATES))
    wilayat = fields.String(required=True, validate=validate.Length(min=2, max=60))
    area = fields.String(
        validate=validate.Length(min=1, max=100), metadata={"description": "Area or village"}
    )
    way = fields.String(
        validate=validate.Length(min=1, max=20), metadata={"description": "Way number"}
    )
    building = fields.String(validate=validate.Length(min=1, max=20))
    po_box = fields.String(
        validate=_check(re.compile(r"[0-9]{1,6}"), N_("A P.O. box is 1 to 6 digits."))
    )
    postal_code = fields.String(
        validate=_check(re.compile(r"[0-9]{3}"), N_("An Omani postal code is 3 digits."))
    )

    @pre_load
    def tidy(self, data, **kwargs):
        if isinstance(data, dict):
            data = {k: " ".join(v.split()) if isinstance(v, str) else v for k, v in data.items()}
        return data


class ProfileUpdateSchema(Schema):
    phone = fields.String(
        validate=_check(
            OMAN_MOBILE, N_("Enter an Omani mobile number: +968 and 8 digits starting with 7 or 9.")
        )
    )
    email = fields.Email(validate=validate.Length(max=254))
    preferred_language = fields.String(validate=validate.OneOf(LANGUAGES))
    address = fields.Nested(AddressSchema, allow_none=True)
    current_password = fields.String(
        load_only=True,
        validate=validate.Length(min=1, max=128),
        metadata={"description": "Needed to change the e-mail or the phone"},
    )

    @pre_load
    def normalise(self, data, **kwargs):
        if isinstance(data, dict) and "phone" in data:
            data = {**data, "phone": normalise_phone(data["phone"])}
        if isinstance(data, dict) and isinstance(data.get("email"), str):
            data = {**data, "email": data["email"].strip().lower()}
        return data

    @validates_schema
    def contacts_need_the_password(self, data, **kwargs):
        if ("phone" in data or "email" in data) and "current_password" not in data:
            raise ValidationError(
                N_("Changing your e-mail or phone needs your current password."),
                "current_password",
            )


class _LoginIdentifier(Schema):
    """An account's e-mail (compared in lower case) or civil ID, as login takes them."""

    email = fields.String(validate=validate.Length(min=1, max=254))
    civil_id = fields.String(validate=validate.Length(min=1, max=12))

    @post_load
    def lower_email(self, data, **kwargs):
        if "email" in data:
            data["email"] = data["email"].strip().lower()
        return data


class _OneLoginIdentifier(_LoginIdentifier):
    @validates_schema
    def one_identifier(self, data, **kwargs):
        if ("email" in data) == ("civil_id" in data):
            raise ValidationError(N_("Give either email or civil_id."), "email")


class LoginSchema(_OneLoginIdentifier):
    password = fields.String(
        required=True, load_only=True, validate=validate.Length(min=1, max=128)
    )


class RefreshSchema(Schema):
    refresh_token = fields.String(
        required=True, load_only=True, validate=validate.Length(min=1, max=200)
    )


class PasswordChangeSchema(Schema):
    current_password = fields.String(
        required=True, load_only=True, validate=validate.Length(min=1, max=128)
    )
    new_password = fields.String(
        required=True,
        load_only=True,
        metadata={"description": "At least 12 characters; not a common or leaked password"},
    )


RESET_CHANNELS = ("email", "sms")


class PasswordResetRequestSchema(_OneLoginIdentifier):
    channel = fields.String(
        load_default="email",
        validate=validate.OneOf(RESET_CHANNELS),
        metadata={"description": "`email`: a one-time link; `sms`: a six-digit code"},
    )


class PasswordResetConfirmSchema(_LoginIdentifier):
    token = fields.String(
        load_only=True,
        validate=validate.Length(min=1, max=100),
        metadata={"description": "The token of the e-mailed link"},
    )
    code = fields.String(
        load_only=True,
        validate=validate.Regexp(r"^[0-9]{6}$", error=N_("Six digits.")),
        metadata={"description": "The code sent by SMS, with the account's email or civil_id"},
    )
    new_password = fields.String(
        required=True,
        load_only=True,
        validate=validate.Length(min=1, max=128),
        metadata={"description": "At least 12 characters; not a common or leaked password"},
    )

    @validates_schema
    def token_or_code(self, data, **kwargs):
        identifiers = ("email" in data) + ("civil_id" in data)
        by_link = "token" in data and "code" not in data and identifiers == 0
        by_code = "token" not in data and "code" in data and identifiers == 1
        if not (by_link or by_code):
            raise ValidationError(N_("Give either token, or code with email or civil_id."), "token")


class AcceptedSchema(Schema):
    detail = fields.String(metadata={"description": "What happens next, in the caller's language"})


class AdminResetSchema(Schema):
    channel = fields.String(load_default="email", validate=validate.OneOf(RESET_CHANNELS))


class LogoutSchema(Schema):
    all_sessions = fields.Boolean(
        load_default=False, metadata={"description": "End every session of the account"}
    )


class TokenSchema(Schema):
    access_token = fields.String()
    refresh_token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer(metadata={"description": "Seconds until the access token expires"})


class UserSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    role = fields.String()
    civil_id = fields.String()
    name = fields.String()
    email = fields.String()
    phone = fields.String()
    preferred_language = fields.String()
    address = fields.Nested(AddressSchema, allow_none=True)
    cr_number = fields.String(allow_none=True)
    trade_name = fields.String(allow_none=True)
    authority = fields.Nested(AuthorityRefSchema, allow_none=True)
    department = fields.Nested(DepartmentRefSchema, allow_none=True)
    is_active = fields.Boolean()
    created_at = MuscatDateTime()

//! The user resource a token's `user.link` points at:
//! `/mgmt/cm/system/authn/providers/tmos/<uuid(provider)>/users/<uuid(user)>`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::auth::Caller;
use super::links::user_link;
use super::state::BigIp;
use crate::f5_extract::F5Path;
use crate::name_uuid::name_uuid;
use crate::rest_error::F5Error;

/// `GET` the user named by two name-derived UUIDs. Unknown UUIDs → 404 (wording unverified).
pub async fn user(
    State(bigip): State<BigIp>,
    caller: Caller,
    F5Path((provider_id, user_id)): F5Path<(String, String)>,
) -> Result<Json<Value>, F5Error> {
    let provider = bigip
        .providers()
        .find(|p| name_uuid(p) == provider_id)
        .map(str::to_owned);
    let user = bigip.users().iter().find(|u| name_uuid(&u.name) == user_id);
    let (Some(provider), Some(user)) = (provider, user) else {
        return Err(F5Error::framework(
            StatusCode::NOT_FOUND,
            format!("Object not found: user {user_id} of provider {provider_id}"),
            &caller.referer,
        ));
    };
    Ok(Json(json!({
        "id": name_uuid(&user.name),
        "name": user.name,
        "displayName": user.name,
        "generation": 1,
        "lastUpdateMicros": bigip.now_micros(),
        "kind": format!("cm:system:authn:providers:tmos:{}:users:usersstate", name_uuid(&provider)),
        "selfLink": user_link(&provider, &user.name),
    })))
}

-- Authelia's /api/authz/forward-auth for HAProxy: the auth request that nginx and Caddy
-- have built in. Used by docs/recipes/haproxy.cfg ("lua-load" and "lua.authelia_auth").
--
-- For each request, it asks Authelia whether the request may pass, and stores the
-- answer in variables that haproxy.cfg acts on:
--   txn.auth_status    Authelia's status: 200, 302/303 (Location), 401, 403; 0 if
--                      Authelia could not be reached (haproxy.cfg then refuses: 403)
--   txn.auth_location  Authelia's Location header (the sign-in page)
--   txn.auth_user, txn.auth_groups, txn.auth_name, txn.auth_email
--                      Authelia's Remote-* headers, only when the status is 200 and
--                      the header is present
--
-- 127.0.0.1:9091 is Authelia's address (the tests replace its port with a free one).

local AUTHELIA = "http://127.0.0.1:9091/api/authz/forward-auth"

-- Authelia's response header -> the variable that carries it.
local IDENTITY = {
    ["remote-user"] = "txn.auth_user",
    ["remote-groups"] = "txn.auth_groups",
    ["remote-name"] = "txn.auth_name",
    ["remote-email"] = "txn.auth_email",
}

-- The first value of a header in an httpclient response (values are in a table).
local function first_value(headers, name)
    local values = headers and headers[name]
    if values == nil then
        return nil
    end
    for _, value in pairs(values) do
        return value
    end
    return nil
end

-- Whether the client connection is TLS (the fetch returns a boolean, or 0/1).
local function is_tls(txn)
    local tls = txn.sf:ssl_fc()
    return tls == true or tls == 1
end

core.register_action("authelia_auth", { "http-req" }, function(txn)
    local request = {
        -- What Authelia needs to know about the original request.
        ["x-forwarded-method"] = { txn.sf:method() },
        ["x-forwarded-proto"] = { is_tls(txn) and "https" or "http" },
        ["x-forwarded-host"] = { txn.sf:req_hdr("host") or "" },
        ["x-forwarded-uri"] = { txn.sf:pathq() },
        ["x-forwarded-for"] = { txn.sf:src() },
        -- What Authelia decides with: the session cookie, and the kind of client (a
        -- browser is redirected to the sign-in page, an API client gets 401).
        ["cookie"] = { txn.sf:req_fhdr("cookie") or "" },
        ["accept"] = { txn.sf:req_fhdr("accept") or "" },
        ["x-requested-with"] = { txn.sf:req_hdr("x-requested-with") or "" },
    }
    local ok, response = pcall(function()
        return core.httpclient():get({ url = AUTHELIA, headers = request, timeout = 5000 })
    end)
    -- Fail closed: no answer is a refusal.
    local status = ok and response and tonumber(response.status) or 0
    txn:set_var("txn.auth_status", status)
    if status == 0 then
        return
    end
    local location = first_value(response.headers, "location")
    if location ~= nil then
        txn:set_var("txn.auth_location", location)
    end
    if status == 200 then
        for header, variable in pairs(IDENTITY) do
            local value = first_value(response.headers, header)
            if value ~= nil then
                txn:set_var(variable, value)
            end
        end
    end
end, 0)

-- grant.lua: ICentralLedger.GrantAsync (AccountBook.AddGrant).
-- ARGV[8..16]: grant_id, amount, priority, category, effective_at ('' = now), expires_at ('' = never),
--              recurrence period (0 = none), rollover_max, metadata (opaque JSON).
-- Reply: { 0 } unknown account; { 1, grant_reply } created; { 2, grant_reply } exists (C# compares the fields:
-- same grant -> returned as is, different -> AlreadyExists); { -2 } the account's total would pass ARGV[7].

if not load_account() then return { 0 } end
load_book()
advance()

local id = ARGV[8]
local existing = find_grant(id)
if existing then
  save()
  return { 2, grant_reply(existing) }
end

-- Granted so far plus every grant still to take effect (voided ones included, as AccountBook counts them).
local amount = tonumber(ARGV[9])
if amount > MAX_ACCOUNT_TOTAL - account.granted - account.pending then
  save()
  return { -2 }
end

local g = {
  id = id, stored = nil, amount = tonumber(ARGV[9]), remaining = 0, priority = tonumber(ARGV[10]),
  category = tonumber(ARGV[11]), effective = NOW, explicit = ARGV[12] ~= '', expires = nil, voided = nil,
  period = tonumber(ARGV[14]), rollover = tonumber(ARGV[15]), activated = false, closed = false, period_index = 0,
  created = NOW, meta = ARGV[16],
}
if g.explicit then g.effective = tonumber(ARGV[12]) end
if ARGV[13] ~= '' then g.expires = tonumber(ARGV[13]) end
grants[#grants + 1] = g
grants_by_id[id] = g
account.pending = account.pending + g.amount
advance()
save()
return { 1, grant_reply(g) }

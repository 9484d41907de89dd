-- grant.lua: ICentralLedger.GrantAsync (AccountBook.AddGrant).
-- ARGV[6..14]: grant_id, amount, priority, category, effective_at ('' = now), expires_at ('' = never),
--              recurrence period (0 = none), rollover_max, metadata (opaque JSON).
-- Reply: { 0 } unknown account; { 1, grant_reply } created; { 2, grant_reply } exists (C# compares the fields:
-- same grant -> returned as is, different -> AlreadyExists).

if not load_account() then return { 0 } end
load_book()
advance()

local id = ARGV[6]
local existing = find_grant(id)
if existing then
  save()
  return { 2, grant_reply(existing) }
end

local g = {
  id = id, stored = nil, amount = tonumber(ARGV[7]), remaining = 0, priority = tonumber(ARGV[8]),
  category = tonumber(ARGV[9]), effective = NOW, explicit = ARGV[10] ~= '', expires = nil, voided = nil,
  period = tonumber(ARGV[12]), rollover = tonumber(ARGV[13]), activated = false, closed = false, period_index = 0,
  created = NOW, meta = ARGV[14],
}
if g.explicit then g.effective = tonumber(ARGV[10]) end
if ARGV[11] ~= '' then g.expires = tonumber(ARGV[11]) end
grants[#grants + 1] = g
grants_by_id[id] = g
advance()
save()
return { 1, grant_reply(g) }

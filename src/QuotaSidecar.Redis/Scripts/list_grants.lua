-- list_grants.lua: ICentralLedger.ListGrantsAsync, in burn-down order. ARGV[8]: '1' to include inactive grants.
-- Reply: { 0 } unknown account, or { 1, grant_reply, grant_reply, ... }.

if not load_account() then return { 0 } end
load_book()
advance()
save()

local include_inactive = ARGV[8] == '1'
local reply = { 1 }
for _, g in ipairs(all_grants_in_burn_order()) do
  if include_inactive or is_active(g) then reply[#reply + 1] = grant_reply(g) end
end
return reply

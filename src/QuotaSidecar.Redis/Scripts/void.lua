-- void.lua: ICentralLedger.VoidGrantAsync (AccountBook.Void). ARGV[8]: grant_id.
-- Reply: { 0 } unknown account; { -1 } unknown grant; { 1, grant_reply }.

if not load_account() then return { 0 } end
load_book()
advance()

local g = find_grant(ARGV[8])
if not g then
  save()
  return { -1 }
end

if g.voided == nil then
  g.voided = NOW
  if g.activated and g.remaining > 0 then
    account.voided = account.voided + g.remaining
    append(VOIDED, g.remaining, g.id, '')
  end
  g.remaining = 0
end

save()
return { 1, grant_reply(g) }

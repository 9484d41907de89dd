-- get_account.lua: ICentralLedger.GetAccountAsync; applies what time has made due first (like every read).
-- Reply: { 0 } unknown account, or account_reply().

if not load_account() then return { 0 } end
load_book()
advance()
save()
return account_reply()

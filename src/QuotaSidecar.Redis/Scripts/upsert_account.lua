-- upsert_account.lua: ICentralLedger.UpsertAccountAsync. Creates the account or replaces its policy; grants and
-- balance are kept. ARGV[6..10]: status, overage_mode, overage_limit, low_balance_threshold, unit.
-- Reply: account_reply().

if not load_account() then new_account() end
account.status = tonumber(ARGV[6])
account.mode = tonumber(ARGV[7])
account.overage_limit = tonumber(ARGV[8])
account.low_balance_threshold = tonumber(ARGV[9])
account.unit = ARGV[10]
load_book()
advance()
save()
return account_reply()

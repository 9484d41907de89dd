-- upsert_account.lua: ICentralLedger.UpsertAccountAsync. Creates the account or replaces its policy; grants and
-- balance are kept. ARGV[8..12]: status, overage_mode, overage_limit, low_balance_threshold, unit.
-- Reply: account_reply().

if not load_account() then new_account() end
account.status = tonumber(ARGV[8])
account.mode = tonumber(ARGV[9])
account.overage_limit = tonumber(ARGV[10])
account.low_balance_threshold = tonumber(ARGV[11])
account.unit = ARGV[12]
load_book()
advance()
save()
return account_reply()

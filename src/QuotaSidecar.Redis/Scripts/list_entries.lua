-- list_entries.lua: ICentralLedger.ListEntriesAsync. ARGV[8]: the cursor ('' = from the oldest kept entry; else the
-- last entry id of the previous page, exclusive), ARGV[9]: limit.
-- Reply: { 0 } unknown account, or { 1, next_cursor ('' at the end), { { id, { field, value, ... } }, ... } }.

if not load_account() then return { 0 } end
load_book()
advance()
save()

local start = '-'
if ARGV[8] ~= '' then start = '(' .. ARGV[8] end
local limit = tonumber(ARGV[9])
local rows = redis.call('XRANGE', LEDGER_KEY, start, '+', 'COUNT', limit + 1)
local next_cursor = ''
if #rows > limit then
  rows[limit + 1] = nil
  next_cursor = rows[limit][1]
end
return { 1, next_cursor, rows }

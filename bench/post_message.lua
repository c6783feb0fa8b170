-- wrk script: single-message POSTs spread over the tickets B-0 … B-999 (see api.sh).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("SANJEH_TOKEN")

local counter = 0
local thread_id = 0

function setup(thread)
  thread:set("id", thread_id)
  thread_id = thread_id + 1
end

function request()
  counter = counter + 1
  local ticket = "B-" .. ((counter * 7 + id * 13) % 1000)
  local body = '{"author":"customer:C-1","body":"load ' .. id .. '-' .. counter .. '"}'
  return wrk.format(nil, "/api/v1/tickets/" .. ticket .. "/messages", nil, body)
end

-- Any non-2xx answer is a failure of the benchmark, not a data point.
function response(status, headers, body)
  if status ~= 201 then
    io.stderr:write("unexpected status " .. status .. ": " .. body .. "\n")
  end
end

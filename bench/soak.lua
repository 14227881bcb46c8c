-- wrk script for the soak: one request in ten is a PUT of a product's policy (alternating
-- values, so each one changes something), the rest GETs of the same product or of the list.
local product = "/v1.0/policies/AllowSelfServicePurchase/products/CFQ7TTC0H9MP"
local list = "/v1.0/policies/AllowSelfServicePurchase/products?scope=product"
local counter = 0

request = function()
  counter = counter + 1
  if counter % 10 == 0 then
    local value = (counter % 20 == 0) and "Enabled" or "Disabled"
    return wrk.format("PUT", product, { ["Content-Type"] = "application/json" },
      '{"policyValue":"' .. value .. '"}')
  elseif counter % 10 == 5 then
    return wrk.format("GET", list)
  end
  return wrk.format("GET", product)
end

-- Non-2xx answers (503 of shed connections or a busy store) are counted by wrk itself.

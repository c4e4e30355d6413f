-- gpu.lua: the node has a GPU.
-- Arguments (optional): a model substring such as "A100" (any case; "" for
-- any model), then the minimum number of GPUs (default 1).
local model = args[1] or ""
local count = 1
if args[2] ~= nil then
  count = tonumber(args[2])
  if count == nil then
    error("gpu.lua: the GPU count must be a number, got " .. args[2])
  end
end
return sel.has_gpu(model, count)

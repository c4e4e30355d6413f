-- arch.lua: the node has one of the given CPU architectures.
-- Arguments: one or more architectures (amd64 = x86_64, arm64 = aarch64).
if #args == 0 then
  error("arch.lua needs at least one architecture, e.g. amd64")
end
return sel.arch_is(unpack(args))

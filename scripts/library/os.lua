-- os.lua: the node runs one of the given operating systems.
-- Arguments: one or more OS names as Go spells them (linux, darwin, windows).
if #args == 0 then
  error("os.lua needs at least one OS name, e.g. linux")
end
return sel.os_is(unpack(args))

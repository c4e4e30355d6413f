-- has-tags.lua: the node has every one of the given tags.
-- Arguments: one or more tags.
if #args == 0 then
  error("has-tags.lua needs at least one tag")
end
return sel.has_tag(unpack(args))

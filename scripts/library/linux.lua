-- linux.lua: the node runs Linux.
-- Arguments: none.
return sel.os_is("linux")

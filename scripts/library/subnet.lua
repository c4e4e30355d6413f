-- subnet.lua: the node's IP address is in one of the given networks.
-- Arguments: one or more CIDRs, e.g. 10.1.0.0/16 fd00::/8
if #args == 0 then
  error("subnet.lua needs at least one CIDR, e.g. 10.0.0.0/8")
end
return sel.ip_in(unpack(args))

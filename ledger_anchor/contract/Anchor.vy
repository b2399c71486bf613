# pragma version 0.4.3
# pragma evm-version shanghai
"""
@title Settlement log anchor
@notice Records the tree heads (size, root) of the gateway's RFC 9162
        settlement log. Only the gateway's key may append, and sizes only
        grow, so an anchored head can never be rewritten or withdrawn.
"""

event Anchored:
    size: indexed(uint256)
    root: bytes32


GATEWAY: public(immutable(address))

# The largest tree size anchored so far, and its root.
latest_size: public(uint256)
latest_root: public(bytes32)

# Every anchored head by tree size, and the block that recorded it.
root_at: public(HashMap[uint256, bytes32])
block_at: public(HashMap[uint256, uint256])


@deploy
def __init__(gateway: address):
    assert gateway != empty(address), "gateway address is empty"
    GATEWAY = gateway


@external
def anchor(size: uint256, root: bytes32):
    assert msg.sender == GATEWAY, "only the gateway may anchor"
    assert size > self.latest_size, "tree size must grow"
    assert root != empty(bytes32), "root is empty"
    self.latest_size = size
    self.latest_root = root
    self.root_at[size] = root
    self.block_at[size] = block.number
    log Anchored(size=size, root=root)

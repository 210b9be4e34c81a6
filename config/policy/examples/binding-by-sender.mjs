// Binding by sender domain (Momentum validate_set_binding): mail from each sender domain leaves
// from its own source address. Names must be bindings or binding groups of the configuration.
const BY_DOMAIN = new Map([
  ['alpha.test', { binding: 'alpha' }],
  ['beta.test', { binding: 'beta' }],
  ['news.test', { bindingGroup: 'bulk' }],
]);

/** @type {import('@petrel/policy').Policy} */
export default {
  setBinding(ctx) {
    const at = ctx.message.sender.lastIndexOf('@');
    if (at < 0) return undefined; // <>: the configured rules decide
    return BY_DOMAIN.get(ctx.message.sender.slice(at + 1).toLowerCase());
  },
};

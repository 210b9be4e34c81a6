// A header added at DATA, before the spool commit: what is stored is what is delivered.
/** @type {import('@petrel/policy').Policy} */
export default {
  data(ctx) {
    ctx.headers.add('X-Petrel-Policy', `checked; client=${ctx.session.client.address}`);
    // Internal routing hints never leave the house.
    ctx.headers.remove('X-Internal-Route');
  },
};

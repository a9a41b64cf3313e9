export default { fetch: () => new Response(String(1 + 1)) };

// esbuild's text loader turns each saved operation in queries/ into its source text.
declare module '*.graphql' {
  const text: string;
  export default text;
}

// cytoscape-svg ships no types: it registers one core method, cy.svg().
declare module 'cytoscape-svg' {
  import type cytoscape from 'cytoscape';
  const register: cytoscape.Ext;
  export default register;
}

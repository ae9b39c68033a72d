/** Attribution required by the DB-IP Lite licence (CC BY 4.0) for the geolocation shown. */
export function Footer() {
  return (
    <footer className="footer">
      <a href="https://db-ip.com" target="_blank" rel="noopener noreferrer">
        IP Geolocation by DB-IP
      </a>
      <span className="muted"> · ASN data: RouteViews, NRO, DB-IP (CC BY 4.0)</span>
    </footer>
  );
}

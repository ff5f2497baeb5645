import { Skeleton } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';

/** The dark modules of `text`'s QR code as one SVG path (the `qrcode` package loads with the first code shown). */
async function qrPath(text: string): Promise<{ size: number; path: string }> {
  const { create } = await import('qrcode');
  const { modules } = create(text, { errorCorrectionLevel: 'M' });
  let path = '';
  for (let row = 0; row < modules.size; row++) {
    for (let column = 0; column < modules.size; column++) {
      if (modules.get(row, column)) path += `M${column} ${row}h1v1h-1z`;
    }
  }
  return { size: modules.size, path };
}

/** A QR code drawn as SVG (no image URL: the content security policy allows images of this origin only). */
export function QrCode({ text, label, size = 200 }: { text: string; label: string; size?: number }) {
  const code = useQuery({ queryKey: ['qr', text], queryFn: () => qrPath(text), staleTime: Infinity });
  if (!code.data) return <Skeleton width={size} height={size} />;
  const quiet = 4;
  const box = code.data.size + quiet * 2;
  return (
    <svg role="img" aria-label={label} width={size} height={size} viewBox={`${-quiet} ${-quiet} ${box} ${box}`}>
      <rect x={-quiet} y={-quiet} width={box} height={box} fill="#fff" />
      <path d={code.data.path} fill="#000" shapeRendering="crispEdges" />
    </svg>
  );
}
